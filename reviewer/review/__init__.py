"""The review room: what a pull-request review says and where, for any code host.

Which lines of a diff a comment may sit on (``diff_lines``), where each finding goes
(``plan``), the hidden markers by which a later run knows our comments (``markers``), the
verdict (``verdict``) and the bodies of the summary, the review comments, the review bodies and
the details comments (``bodies``), each cut to the host's body limit, given as a parameter. It
renders from structured data (the finding, its fix, the plan) with the Markdown reporter and
never reads back text that another stage wrote. Nothing here talks to a host: ``reviewer.github``
sends these bodies through PyGithub; a reviewer for another host could send the same.
"""

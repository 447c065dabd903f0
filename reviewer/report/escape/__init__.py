"""Text from a template, a path or the user's configuration, escaped for the place it lands in.

Logical ids, construct paths, file names, environment keys, layer names, parameter and export
names, stack names, notes and suppression reasons are free text to this tool: a pull request
can put anything there. Every surface that shows them (the inline review comment, the sticky
summary comment, the check run, the job summary, the Mermaid diagrams, SARIF) passes them
through the module for the context they land in, one module per context:

- ``markdown_inline``: a Markdown paragraph, heading or list item (and a link target);
- ``table_cell``: a cell of a GFM table (``|`` never ends the cell);
- ``code_span``: an inline code span in Markdown;
- ``html_details``: raw HTML, such as the text of a ``<details><summary>`` line, which GitHub
  passes through without reading it as Markdown;
- ``mermaid_label``: a participant or message label of a Mermaid diagram;
- ``plain_text``: one line of plain text (a check run's title, an annotation, a SARIF
  ``message.text``).

Mentions never notify: in every context but a code span (GitHub never links a mention or an
issue reference inside code), ``@`` and ``#`` are followed by an invisible word joiner
(U+2060), so ``@org/team`` reads the same and is not a mention, and ``owner/repo#123`` is not a
cross-reference that would show up on another issue. Bare URLs (``https://``, ``www.``) get the
same joiner, so that GFM does not turn them into links.
"""

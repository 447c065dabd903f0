"""Plain CloudFormation and SAM templates: a template file or a directory of them with their
nested stacks (``template``), SAM templates expanded locally by aws-sam-translator (``sam``,
imported only when a template's ``Transform`` names SAM) with their local artifacts
(``sam_artifacts``), the SAM lines of what they generate (``sam_locations``) and code neither
side could read (``unread_code``), and the parameter values of a deployment (``parameters``:
overrides, ``samconfig``).
"""

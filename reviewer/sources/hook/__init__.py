"""A CloudFormation Lambda Hook's request as a side source: the request read into a typed
value (``request.py``), the payload its presigned URL points at fetched and read
(``payload.py``), and the two sides it describes (``sides.py``): for a stack operation the
previous template against the new one, for a change set a baseline rebuilt from the new
template and each changed resource's ``beforeContext`` (``change_set.py``)."""

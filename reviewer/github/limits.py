"""GitHub's limits on what a comment may hold, passed to the host-neutral review room."""

from __future__ import annotations

#: GitHub rejects an issue or review comment body longer than this many characters.
GITHUB_BODY_LIMIT = 65536

"""The contract every stage shares: findings, their fixes and the report, and the closed sets
they use.

It is the ground floor: it imports nothing else of ``reviewer``. The pipeline produces these
values, reporters and publishers read them, and the JSON report (``report/json_v1.py``) writes
and reads them against ``report/schema/report-v1.json``.
"""

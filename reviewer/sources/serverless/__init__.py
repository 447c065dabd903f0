"""Serverless Framework packages: the folder ``serverless package`` writes (``package``), what it
records about the service (``state``), the service configuration it came from (``config``) and
where each resource of the package was written in that configuration (``locator``).
"""

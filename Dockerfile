# The latest-guard GitHub Action: a slim Python image with the package installed from this
# repository. The runner mounts the workspace at /github/workspace and starts the entry point
# there.
FROM python:3.11.11-slim-bookworm

# git: the "baseline: git" input reads the base commit's templates from a work tree.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git=1:2.39.5-0+deb12u3 \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Dependencies first (a layer that changes only when they do), pinned to exact versions.
RUN pip install --no-cache-dir \
    "setuptools==84.2.1" \
    "PyYAML==6.0.4" \
    "cfn-lint==1.58.0" \
    "aws-sam-translator==1.115.0" \
    "boto3==1.44.8" \
    "PyGithub==2.10.0"

COPY pyproject.toml README.md /opt/latest-guard/
COPY reviewer /opt/latest-guard/reviewer
RUN pip install --no-cache-dir --no-deps --no-build-isolation /opt/latest-guard \
    && pip check

# GitHub-hosted runners own the workspace and the runner's files as uid 1001: the same uid
# here can read and write them without running as root.
RUN useradd --uid 1001 --create-home --shell /usr/sbin/nologin latest-guard
USER 1001

# -P: never import from the working directory (the checked-out repository).
ENTRYPOINT ["python", "-P", "-m", "reviewer.action"]

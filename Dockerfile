# latest-guard as a container, for everything that is not a GitHub runner (there, action.yml
# installs requirements.lock on the runner itself): other CI systems, the pre-commit
# "latest-guard-docker" hook, or by hand from the root of a repository:
#
#   docker run --rm --user "$(id -u):$(id -g)" --volume "$PWD:/src" \
#     ghcr.io/latest-guard/latest-guard:0.1.0 \
#     check --template template.yaml --baseline-ref origin/main
#
# Published by .github/workflows/release.yml for each version tag.
FROM python:3.11.11-slim-bookworm

# git: --baseline-ref and the pre-commit hook read the base commit from the mounted work
# tree, which belongs to whoever mounted it: safe.directory lets git read it under any uid.
# The non-root user is created here too. git carries no Debian version pin: bookworm's
# security updates replace the package and an exact pin then stops resolving (the image tag
# already fixes the Debian release).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*' \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin latest-guard

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# The dependencies first (a layer that changes only with the lock), every file checked
# against its hash: the same requirements.lock the action installs on runners.
COPY requirements.lock /opt/latest-guard/
RUN pip install --no-cache-dir --require-hashes --no-deps -r /opt/latest-guard/requirements.lock \
    && pip check

# Then the package, imported from its folder as the action does: no build step, so no build
# tool is downloaded that the lock does not check. -P keeps the mounted repository (the
# working directory) off the import path.
COPY reviewer /opt/latest-guard/reviewer
ENV PYTHONPATH=/opt/latest-guard

# Not root. Everything installed is world-readable and nothing is written outside the
# mounted folder, so `docker run --user UID:GID` (to own the files written there) works too.
USER 10001
WORKDIR /src
ENTRYPOINT ["python", "-P", "-m", "reviewer.cli"]

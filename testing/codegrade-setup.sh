#!/usr/bin/env bash
# CodeGrade AutoTest setup script: install the course's grader once, before CodeGrade takes the
# snapshot every test starts from (this phase has network and superuser rights).
#
# The one setting to change: COURSE_URL and COURSE_REF, your copy of the course and a tag or
# commit of it. The grader goes to /opt/course, owned by root and read-only for everyone else:
# learner code run by a test as an ordinary user can read it, not change it.
set -euo pipefail
COURSE_URL=https://github.com/your-org/flask-migrate-course.git
COURSE_REF=v1
COURSE_DIR=/opt/course

if [ "$(id -u)" != 0 ]; then
  exec sudo bash "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_YES=1

# Python 3.11 (the course's Pipfile asks for it) and MariaDB, which step 12 runs the chain on.
apt-get update -qq
if ! command -v python3.11 > /dev/null; then
  apt-get install -y -qq software-properties-common > /dev/null
  add-apt-repository -y ppa:deadsnakes/ppa > /dev/null
  apt-get update -qq
fi
apt-get install -y -qq git python3.11 python3.11-venv mariadb-server > /dev/null

rm -rf "$COURSE_DIR"
git clone --quiet "$COURSE_URL" "$COURSE_DIR"
git -C "$COURSE_DIR" checkout --quiet "$COURSE_REF"
python3.11 -m venv /opt/pipenv
/opt/pipenv/bin/pip install --quiet pipenv
(cd "$COURSE_DIR" && /opt/pipenv/bin/pipenv install --dev --deploy --python python3.11)

# Compiled once here: the tests cannot write into the read-only folder, and need not.
"$COURSE_DIR/.venv/bin/python" -m compileall -q "$COURSE_DIR/testing" > /dev/null
chown -R root:root "$COURSE_DIR"
chmod -R go-w "$COURSE_DIR"
# The learner's code runs in an OS sandbox (bubblewrap, from Pipfile.lock) where the kernel lets it
# make user namespaces; elsewhere the grader holds it less tightly. Say which, once, in the log.
(cd "$COURSE_DIR" && .venv/bin/python -c 'from testing.grader import bubblewrap
found = bubblewrap.availability()
print("OS sandbox:", "yes" if found.works else f"no ({found.why}); see testing/README.md")')
echo "The grader is ready in $COURSE_DIR: each test runs $COURSE_DIR/testing/grade-step STEP server"

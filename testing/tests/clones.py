"""Scratch clones of the course, for commands that change the repository they run in."""
import hashlib
import os
import shutil
import subprocess
import sys

from testing import author, course

IDENTITY = {"GIT_AUTHOR_NAME": "Learner", "GIT_AUTHOR_EMAIL": "learner@example.invalid",
            "GIT_COMMITTER_NAME": "Learner", "GIT_COMMITTER_EMAIL": "learner@example.invalid"}


def git(clone, *arguments):
    done = subprocess.run(["git", *arguments], cwd=clone, capture_output=True, text=True,
                          env={**os.environ, **IDENTITY})
    assert done.returncode == 0, done.stderr
    return done.stdout


def scratch_clone(target):
    """The course as a learner's fresh clone has it: the files git would commit, in a new repository.

    Taken from the working tree (not HEAD) so that the tests see the change being made.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=course.REPO_ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = course.REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "--quiet")
    git(target, "add", "--all")
    git(target, "commit", "--quiet", "--message", "the course, as cloned")
    return target


def lesson(clone, *arguments, timeout=300, cwd=None):
    """Run `pipenv run lesson ARGUMENTS` in a clone (from its top folder, or `cwd`), as a learner would."""
    return course_command(clone, "lesson", *arguments, timeout=timeout, cwd=cwd)


def course_command(clone, *arguments, timeout=300, cwd=None):
    """Run one of the clone's pipenv scripts (grade, lesson, pg) with this Python."""
    return subprocess.run([sys.executable, str(clone / "testing" / "cli.py"), *map(str, arguments)],
                          cwd=cwd or clone, capture_output=True, text=True, timeout=timeout, env=learner_environment())


def learner_environment():
    """This process's environment without what a learner's shell would not have set."""
    return {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "NO_COLOR")}


def servers_of_its_own_environment():
    """learner_environment() without the servers the tests name: a grade started in it starts its own."""
    from testing.grader.servers.supply import URL_VARIABLES

    return {key: value for key, value in learner_environment().items() if key not in URL_VARIABLES.values()}


def fingerprint(folder):
    """Every file under `folder` with the hash of its bytes."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def write_rename_as_create_drop(server):
    """Step 03 done the way autogenerate writes it, unedited: the table's rows are lost."""
    shutil.copyfile(course.step(3).models_path, server / "models.py")
    reference = course.step(3).migration_files[0]
    shutil.copyfile(reference, server / "migrations" / "versions" / reference.name)
    author.mistake("table rename as create + drop").apply(server)


def learners_work(clone):
    """A server folder with the learner's own files and database, as after a few steps."""
    server = clone / "server"
    write_rename_as_create_drop(server)
    (server / "notes.txt").write_bytes(b"my notes \xff\x00 not even text\n")
    (server / "instance" / "app.db").write_bytes((server / "instance" / "app.db").read_bytes() + b"\x01")
    return server

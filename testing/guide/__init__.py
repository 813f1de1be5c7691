"""The `lesson` command's parts: where a learner is, hints, backups, solutions, git branches."""

"""`pipenv run bench`: how fast the grader answers, and what each reference migration costs."""

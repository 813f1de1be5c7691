"""From facts to a verdict: which checks of which steps pass (judge.py, production.py), in the
learner's words (messages.py), as a report (report.py)."""

"""What the learner's migrations do, measured by the grader itself: the chain as written (chain.py),
the walk on a scratch database (walk.py) with the rows followed (lineage.py) and the schema compared
(schema.py), and Part 3's live traffic and statements (traffic.py, statements.py, gaps.py)."""

"""The boundary with the learner's process: the scratch copy (scratch_copy.py) and its fingerprints, the
contained process (containment.py, bubblewrap.py, supervisor.py), the wire (protocol.py), and one
grading session that puts them together (session.py, inspection.py)."""

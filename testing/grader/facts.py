"""Everything one grading session found, as the judge reads it.

The grader's own process records these while it walks the learner's chain (walk.py, session.py);
none of them is reported by the learner's process.
"""
from dataclasses import dataclass, field


@dataclass
class Facts:
    values: dict = field(default_factory=dict)  # one value per key
    climbed: list = field(default_factory=list)
    round_trips: list = field(default_factory=list)
    faults: list = field(default_factory=list)
    traffic: list = field(default_factory=list)  # Part 3: one per revision upgraded under live traffic
    stopped: dict | None = None  # {"reason": "time_limit" | "exited" | …, "action": ..., "file": ...}

    def add(self, key, value):
        if key == "climbed":
            self.climbed.append(value)
        elif key == "round_trip":
            self.round_trips.append(value)
        elif key == "fault":
            self.faults.append(value)
        elif key == "traffic":
            self.traffic.append(value)
        else:
            self.values[key] = value

    def get(self, key, default=None):
        return self.values.get(key, default)

    def to_dict(self):
        return {"values": self.values, "climbed": self.climbed, "round_trips": self.round_trips,
                "faults": self.faults, "traffic": self.traffic, "stopped": self.stopped}

    @classmethod
    def from_dict(cls, data):
        """Facts as to_dict gave them, through JSON: step numbers come back as numbers."""
        for climbed in data["climbed"]:
            for key in ("matches", "unnamed"):
                climbed[key] = {int(step): items for step, items in climbed[key].items()}
        return cls(**data)

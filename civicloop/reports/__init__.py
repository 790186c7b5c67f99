"""Government work reports (政府工作报告): the reader that turns a report into targets, commitments, achieved figures and a glossary."""

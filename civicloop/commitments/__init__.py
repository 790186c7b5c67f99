"""Targets and 实事 commitments tracked through the year by department: milestones, progress, derived status, 督办, bulletins."""

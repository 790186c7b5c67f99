"""Intake intelligence: the message classifier, its suggestions on each case, operators' corrections kept as labelled examples."""

"""Assessment (考核): indicators over any period and slice, rankings, 讲评 reports, each figure traceable to its cases."""

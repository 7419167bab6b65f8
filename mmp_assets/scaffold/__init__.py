"""`mmp init` and `mmp new recipe`: a new project, or a new recipe written from a source's columns."""

"""Did the consortium replicate the original study? The original as numbers
(:mod:`original`), the pooled analyses the criteria read (:mod:`pooled`), the criteria
(:mod:`criteria`), the verdict rule (:mod:`verdict`) and the tables (:mod:`table`).

Every rule is written out in docs/codebook.md ("Replication criteria and the verdict").
"""

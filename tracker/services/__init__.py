"""Domain operations: they take the actor and ids, validate, change data and flush.

They never read the request and never commit: the request or the task does.
"""

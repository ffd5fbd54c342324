"""The manager's reports: money, subscriptions, collections, upcoming charges and reps.

Each report is a few set-based queries (GROUP BY month and currency), so its query count does
not grow with the rows it sums; `tables.py` is what the page, its chart and its CSV all show.
"""

"""The public catalogue: filters, text search, paging and counts of recommendations.

Every query goes through ``tracker.policy`` so a visitor only ever counts, lists or
reads what they may see.
"""

from tracker.services.catalogue.detail import Detail, get_recommendation, recommendation_detail
from tracker.services.catalogue.listing import (
    FilterOptions,
    Filters,
    Page,
    Summary,
    count_recommendations,
    filter_options,
    parse_filters,
    search_recommendations,
    summarise,
)
from tracker.services.catalogue.text_search import matching_ids, suggest, text_condition

__all__ = [
    "Detail",
    "FilterOptions",
    "Filters",
    "Page",
    "Summary",
    "count_recommendations",
    "filter_options",
    "get_recommendation",
    "matching_ids",
    "parse_filters",
    "recommendation_detail",
    "search_recommendations",
    "suggest",
    "summarise",
    "text_condition",
]

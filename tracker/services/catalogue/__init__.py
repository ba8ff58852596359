"""The public catalogue: filters, facets, text search, paging and counts of recommendations.

Every query goes through ``tracker.policy`` so a visitor only ever counts, lists or
reads what they may see.
"""

from tracker.services.catalogue.browse import (
    Facet,
    FacetValue,
    Results,
    Slice,
    Summary,
    browse,
    browse_after,
    count_recommendations,
    search_recommendations,
    summarise,
)
from tracker.services.catalogue.detail import (
    Detail,
    get_recommendation,
    published_after,
    recommendation_detail,
)
from tracker.services.catalogue.listing import Filters, Ignored, Page, parse_filters, parse_paging
from tracker.services.catalogue.text_search import matching_ids, suggest, text_condition

__all__ = [
    "Detail",
    "Facet",
    "FacetValue",
    "Filters",
    "Ignored",
    "Page",
    "Results",
    "Slice",
    "Summary",
    "browse",
    "browse_after",
    "count_recommendations",
    "get_recommendation",
    "matching_ids",
    "parse_filters",
    "parse_paging",
    "published_after",
    "recommendation_detail",
    "search_recommendations",
    "suggest",
    "summarise",
    "text_condition",
]

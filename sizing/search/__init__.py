"""The search: requests from the spec, candidates of every target, topology for availability, the
cheapest feasible choice."""

"""Staff members' private calendar feeds (issue 29, item 3): a revocable secret URL per staff member."""

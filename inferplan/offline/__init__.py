"""The offline Pulumi run: the real program under mocks, and what preview and render show of it."""

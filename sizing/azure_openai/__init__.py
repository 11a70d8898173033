"""Azure OpenAI: lifecycle of model versions, capacity and cost per deployment type and region,
options for the search."""

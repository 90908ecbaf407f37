"""A small LLM-backed API with four planted async pitfalls and two clean routes (see `app`)."""

"""Renderers: each turns data into text with `render(data) -> str`."""

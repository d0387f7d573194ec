"""Valet in Nova's scheduler."""

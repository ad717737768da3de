"""Conversas: chat-agent sessions from MongoDB to per-session metrics for ML training."""

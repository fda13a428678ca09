"""frontdesk web chat (Gradio)."""

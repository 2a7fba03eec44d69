"""Ask a team's documents and get back the passages that answer, with citations.

Data flows one way: seed files -> corpus -> index -> search -> answer -> chat or terminal.
"""

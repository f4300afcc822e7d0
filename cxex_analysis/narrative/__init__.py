"""Findings in plain words, from tidy frames: the sentences the summary boxes and the
executive summary show. Each sentence carries its interval and never claims more than the
design supports (a significant placebo or reverse effect changes the sentence).
"""

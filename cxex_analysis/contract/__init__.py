"""The data contract: the input tables as data, the files read against them, every rule
checked, bad rows quarantined (rows read = accepted + quarantined, always).
"""

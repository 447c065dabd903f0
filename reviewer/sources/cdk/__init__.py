"""CDK cloud assemblies: the stacks ``cdk synth`` wrote (``stacks``), read from the assembly's
manifest (``assembly``), with every logical id traced back to the line of the app that made it
(``source_map``) through the app's own source (``app``).
"""

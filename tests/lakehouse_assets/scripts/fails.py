"""A Glue script that fails the way a transform bug would."""


def main(argv):
    raise ValueError(f"boom with {argv}")

"""A trivial Lambda handler, as it would run on AWS: it returns its event."""


def handler(event, context):
    return event

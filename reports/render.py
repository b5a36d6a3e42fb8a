def render_report(settings, kommune_code, year=None):
    raise NotImplementedError

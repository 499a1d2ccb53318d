"""QR codes the gateway draws for officers' posters and counter tablets."""
import io


def qr_image(url, fmt):
    """The QR code for `url` as PNG or SVG bytes (error correction M: it
    survives a scratched sticker)."""
    import segno
    qr = segno.make(url, error="m")
    out = io.BytesIO()
    if fmt == "svg":
        qr.save(out, kind="svg", scale=8, border=4, xmldecl=True)
    else:
        qr.save(out, kind="png", scale=8, border=4)
    return out.getvalue()

from domus.integrations.captcha import captcha_challenge


def solved_token() -> str:
    challenge = captcha_challenge()
    a, b = (int(x) for x in challenge.question.removeprefix("What is ").removesuffix("?").split(" + "))
    return f"{challenge.challenge}:{a + b}"


def booking_body(**extra) -> dict:
    return {
        "name": "Ann Wanjiru",
        "email": "ann@example.test",
        "phone": "+254700000001",
        "address": "Ngong Road 5",
        "date": "2026-12-10",
        "time": "10:30",
        "message": "The kitchen pipe leaks.",
        "captcha_token": solved_token(),
        **extra,
    }


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def tenant_body(**extra) -> dict:
    body = booking_body(**extra)
    del body["captcha_token"]  # signed in: no captcha
    return body

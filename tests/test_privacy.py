from cxex_analysis.privacy import mask_pii, safe_text


def test_pii_is_masked():
    text = ("Mail jane.doe@example.com or call 07700 900123 or +44 20 7946 0018; "
            "card 4111 1111 1111 1111; order 12345 on 2025-03-31")
    masked = mask_pii(text)
    assert "jane.doe" not in masked and "07700" not in masked and "4111" not in masked
    assert "[email]" in masked and "[phone]" in masked and "[card]" in masked
    assert "order 12345" in masked and "2025-03-31" in masked  # short numbers and dates stay


def test_safe_text_escapes_html_after_masking():
    out = safe_text("<script>alert('x')</script> mail a@b.co")
    assert "<script>" not in out and "&lt;script&gt;" in out and "[email]" in out
    assert safe_text(None) == ""

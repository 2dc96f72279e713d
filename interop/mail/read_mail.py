"""Prints the messages in a Maildir (what aiosmtpd's Mailbox handler wrote)
as JSON, read by Python's email package as a mail client would: the
headers, and each part decoded.

    read_mail.py MAILDIR
"""

import email
import email.policy
import json
import mailbox
import sys


def main():
    out = []
    for msg in mailbox.Maildir(sys.argv[1], create=False):
        parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
        parts = {}
        for part in parsed.walk():
            if part.get_content_maintype() == "multipart":
                continue
            parts[part.get_content_type()] = part.get_content()
        out.append(
            {
                "from": str(parsed["From"]),
                "to": str(parsed["To"]),
                "subject": str(parsed["Subject"]),
                "content_type": parsed.get_content_type(),
                "message_id": str(parsed.get("Message-ID", "")),
                "date": str(parsed.get("Date", "")),
                # Stripped: the Maildir writer folds long lines after the colon.
                "list_unsubscribe": str(parsed.get("List-Unsubscribe", "")).strip(),
                "list_unsubscribe_post": str(parsed.get("List-Unsubscribe-Post", "")).strip(),
                "text": parts.get("text/plain"),
                "html": parts.get("text/html"),
            }
        )
    print(json.dumps(out))


main()

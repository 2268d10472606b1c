"""The portal's icon over real HTTP: /favicon.ico, asked for by browsers unprompted, and the icon
the page links to."""
import html.parser
import xml.etree.ElementTree as ElementTree

import tornado.httpclient


class IconLinks(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.icons = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "icon":
            self.icons.append(attrs)


async def test_favicon_is_an_image_and_the_page_links_to_it(relay):
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True)
    try:
        icon = await http.fetch(relay.base_url + "/favicon.ico")
        assert icon.code == 200
        assert icon.headers["Content-Type"] == "image/svg+xml"
        assert ElementTree.fromstring(icon.body).tag == "{http://www.w3.org/2000/svg}svg"
        head = await http.fetch(relay.base_url + "/favicon.ico", method="HEAD")
        assert head.code == 200 and head.body == b""

        links = IconLinks()
        links.feed((await http.fetch(relay.base_url + "/")).body.decode())
        [link] = links.icons
        linked = await http.fetch(relay.base_url + link["href"])
        assert linked.headers["Content-Type"] == link["type"] == "image/svg+xml"
        assert linked.body == icon.body
    finally:
        http.close()

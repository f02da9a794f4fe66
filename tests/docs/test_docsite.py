# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation site in a real browser: Debian's headless Chromium, driven through its chromedriver.

The site is what scripts/build-docs.sh builds (antsibull-docs, then Sphinx); KUBEAUTH_DOCSITE names its HTML
directory (`bash tests/run.sh docs` builds it and sets it). Every page is loaded once; the checks read what the
browser made of it: titles, headings, links as the browser resolved them, anchors, stylesheets, images, console errors.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync']

# Headings without their permalink anchors; links, resources and anchors as the browser sees them.
READ_PAGE = """
const main = document.querySelector('[role=main]');
const heading = h => Array.from(h.childNodes).filter(n => !(n.classList && n.classList.contains('headerlink')))
                          .map(n => n.textContent).join('').trim();
return {
  title: document.title,
  h1: main ? Array.from(main.querySelectorAll('h1'), heading) : [],
  h2: main ? Array.from(main.querySelectorAll('h2'), heading) : [],
  text: main ? main.innerText.trim().length : 0,
  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
  resources: Array.from(document.querySelectorAll('link[rel=stylesheet][href], script[src], img[src]'), e => e.href || e.src),
  broken_images: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
  examples: Array.from(document.querySelectorAll('#examples pre'), e => e.innerText),
  pre: main ? Array.from(main.querySelectorAll('pre'), e => e.innerText) : [],
};
"""


@pytest.fixture(scope='module')
def site():
    given = os.environ.get('KUBEAUTH_DOCSITE')
    assert given, ('KUBEAUTH_DOCSITE is not set: run `bash tests/run.sh docs`, or build the site with '
                   '`bash scripts/build-docs.sh DEST` and set KUBEAUTH_DOCSITE=DEST/build/html')
    site = Path(given).resolve()
    assert (site / 'index.html').is_file(), '%s holds no built site' % site
    return site


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    chromium, chromedriver = shutil.which('chromium'), shutil.which('chromedriver')
    assert chromium and chromedriver, 'needs Debian\'s chromium and chromium-driver (`bash tests/run.sh docs` installs them)'
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS + ['--user-data-dir=%s' % tmp_path_factory.mktemp('chromium-profile')]:
        options.add_argument(flag)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope='module')
def pages(site, browser):
    """Every page of the site, by path relative to it, as the browser rendered it."""
    seen = {}
    for path in sorted(site.rglob('*.html')):
        browser.get(path.as_uri())
        page = browser.execute_script(READ_PAGE)
        page['console'] = [entry['message'] for entry in browser.get_log('browser') if entry['level'] == 'SEVERE']
        seen[path.relative_to(site).as_posix()] = page
    return seen


def test_every_page_renders(pages):
    assert 'index.html' in pages
    for name, page in pages.items():
        assert page['title'], '%s has no title' % name
        assert not page['console'], '%s: browser console errors %s' % (name, page['console'])
        assert not page['broken_images'], '%s: images that did not load %s' % (name, page['broken_images'])
        if name == 'search.html':  # filled in by JavaScript once a query is typed
            continue
        assert len(page['h1']) == 1 and page['h1'][0], '%s: headings %s' % (name, page['h1'])
        assert page['text'] > 100, '%s: the page body is (nearly) empty' % name


def local_target(site, url):
    """The file a file:// URL of the site points to (a directory means its index.html), or None if outside."""
    path = Path(unquote(urlsplit(url).path))
    if path.is_dir():
        path = path / 'index.html'
    try:
        return path.relative_to(site).as_posix(), path
    except ValueError:
        return None, path


def test_internal_links_and_resources_resolve(site, pages):
    broken, external = [], set()
    for name, page in pages.items():
        for url in page['links'] + page['resources']:
            parts = urlsplit(url)
            if parts.scheme in ('http', 'https', 'mailto'):
                external.add(parts.netloc)  # outside this site; nothing here reaches the network
                continue
            relative, path = local_target(site, url)
            if relative is None or not path.is_file():
                broken.append('%s -> %s (no such file in the site)' % (name, url))
            elif parts.fragment and relative in pages and parts.fragment not in pages[relative]['ids']:
                broken.append('%s -> %s (no such anchor)' % (name, url))
    assert not broken, '\n'.join(broken)
    known = {'docs.ansible.com', 'www.sphinx-doc.org', 'github.com', 'readthedocs.org', 'galaxy.ansible.com'}
    assert len(pages) > 10 and external <= known, sorted(external)


def module_names():
    return sorted(path.stem for path in (ROOT / 'plugins' / 'modules').glob('*.py') if not path.stem.startswith('_'))


def test_every_module_page_has_its_examples(pages):
    modules = module_names()
    assert 'oauth2_provider' in modules
    for module in modules:
        page = pages.get('%s_module.html' % module)
        assert page, 'no page for the module %s' % module
        assert any('kubeauth.authentik.%s:' % module in example for example in page['examples']), (
            'the page of %s shows no example that uses it' % module)


def test_every_guide_is_in_the_site_and_linked_from_the_start_page(pages):
    extra_docs = yaml.safe_load((ROOT / 'docs' / 'docsite' / 'extra-docs.yml').read_text())
    guides = [name for section in extra_docs['sections'] for name in section['toctree']]
    assert 'user_guide' in guides and 'troubleshooting' in guides
    for guide in guides:
        assert 'docsite/%s.html' % guide in pages, 'guide %s was not built' % guide
        assert any(link.split('#')[0].endswith('/docsite/%s.html' % guide) for link in pages['index.html']['links']), (
            'the start page does not link to the guide %s' % guide)


def test_messages_name_troubleshooting_entries_that_exist(pages):
    """Roles and modules say "See 'TITLE' in the troubleshooting guide": TITLE must be a section of that page."""
    sections = set(pages['docsite/troubleshooting.html']['h2'])
    named = {}
    for path in sorted((ROOT / 'roles').rglob('*.yml')) + sorted((ROOT / 'plugins').rglob('*.py')):
        text = path.read_text()
        # Written out, or through errors.see('TITLE') (whose own '%s' is no title).
        titles = re.findall(r"[Ss]ee \\?'([^'\\]+)\\?' in the\s+troubleshooting guide", text)
        titles += re.findall(r"\b_?see\('([^']+)'\)", text)
        for title in set(titles) - {'%s'}:
            named.setdefault(title, str(path.relative_to(ROOT)))
    assert len(named) >= 5, 'hardly any message points to the troubleshooting guide: %s' % named
    missing = dict((title, where) for title, where in named.items() if title not in sections)
    assert not missing, 'messages name troubleshooting entries that do not exist: %s' % missing


def test_example_variables_belong_to_the_roles(pages):
    blocks = [block for block in pages['docsite/examples.html']['pre'] if block.startswith('# group_vars/all.yml')]
    assert len(blocks) == 1, 'the examples page shows no group_vars/all.yml'
    variables = yaml.safe_load(blocks[0])
    options = set()
    for spec in (ROOT / 'roles').glob('*/meta/argument_specs.yml'):
        for entry_point in yaml.safe_load(spec.read_text())['argument_specs'].values():
            options.update(entry_point.get('options') or {})
    assert len(variables) > 10
    assert set(variables) <= options, 'not a variable of any role: %s' % sorted(set(variables) - options)

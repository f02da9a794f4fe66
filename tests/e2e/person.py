# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A person at a browser, for kubelogin's `--browser-command`: opens the URL, logs in, consents, goes back;
or, for kubelogin's device code login, a person at another machine who opens the verification page, logs in and
types the code kubelogin printed (enter_device_code).

    kubectl oidc-login get-token ... --browser-command=<wrapper running: person.py URL>

kubelogin runs the command with one argument, its own local page (http://localhost:PORT/), which
redirects to authentik's authorization endpoint. This follows every redirect itself, and where
authentik shows its flow interface (/if/flow/<slug>/) it does what the page's script does: it
drives the flow executor API (/api/v3/flows/executor/<slug>/?query=...) and answers the
challenges (identification: the username; password: the password, an app password here;
consent: the token it was shown) until authentik redirects back to kubelogin with the code.
Where authentik answers with an error page, it stops and says so, like a person would.

Who logs in comes from the JSON file named by $KUBEAUTH_PERSON: {"username", "password",
"ca" (the CA file of authentik's certificate), "trace" (optional: where to write the steps as JSON)}.

The device code login (RFC 8628) as a person does it: open the verification URI kubelogin printed, without
the code in it (authentik sends a person who is not logged in to its login flow first), then type the code into
the brand's device code flow (ak-provider-oauth2-device-code), pass the provider's authorization flow (consent
if it asks) and see the finish stage (ak-provider-oauth2-device-code-finish), which binds the code to the person.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import signal
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

MAX_STEPS = 40


class PersonError(Exception):
    """The person gave up: what the browser showed."""


class Person:
    def __init__(self, username, password, ca):
        self.username, self.password = username, password
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the CA given here
        self.session.verify = ca
        self.steps = []
        self.page = None
        self.device_code = None
        self.device_done = False

    def note(self, what, url, status=None):
        self.steps.append({'what': what, 'url': url, 'status': status})

    def open(self, url, stop_at=None):
        """Follow the URL like a browser until kubelogin's page answers; returns that final response.

        With stop_at (a URL prefix), return the first URL starting with it instead of opening it.
        """
        for dummy in range(MAX_STEPS):
            if stop_at and url.startswith(stop_at):
                return url
            response = self.session.get(url, allow_redirects=False, timeout=30)
            self.note('get', url, response.status_code)
            if response.is_redirect:
                url = urljoin(url, response.headers['Location'])
                continue
            path = urlsplit(url).path
            if response.status_code == 200 and path.startswith('/if/flow/'):
                url = self.run_flow(url, path.split('/')[3])
                if url is None:
                    return response
                continue
            if response.status_code >= 400:
                raise PersonError('%s answered %d: %s' % (url.split('?')[0], response.status_code,
                                                          page_title(response.text) or '(an empty page)'))
            if self.device_code and page_title(response.text) == 'Permission denied':
                raise PersonError('%s says: Permission denied' % url.split('?')[0])
            return response
        raise PersonError('more than %d steps without getting back to kubelogin' % MAX_STEPS)

    def enter_device_code(self, verification_uri, user_code):
        """Open the verification page, log in, type the code; returns once authentik has bound it to this person."""
        self.device_code = user_code
        self.open(verification_uri)
        if not self.device_done:
            raise PersonError('the device code was never accepted')

    def run_flow(self, page_url, slug):
        """What the flow interface's script does; returns where the flow sends the browser next."""
        self.page = page_url
        base = '{0.scheme}://{0.netloc}'.format(urlsplit(page_url))
        executor = '%s/api/v3/flows/executor/%s/?%s' % (base, slug, urlencode({'query': urlsplit(page_url).query}))
        challenge = self.call('GET', executor)
        for dummy in range(MAX_STEPS):
            component = challenge.get('component')
            self.note(component, executor)
            if challenge.get('response_errors'):
                raise PersonError('%s refused the answer: %s' % (component, json.dumps(challenge['response_errors'])))
            if component == 'xak-flow-redirect':
                # After the device code's finish stage a person closes the page: the device has its token.
                return None if self.device_done else urljoin(base + '/', challenge['to'])
            if component == 'xak-flow-shell':
                raise PersonError('%s shows a page: %s' % (slug, page_title(challenge.get('body', ''))))
            if component == 'ak-stage-identification':
                answer = {'uid_field': self.username}
            elif component == 'ak-stage-password':
                answer = {'password': self.password}
            elif component == 'ak-stage-consent':
                answer = {'token': challenge['token']}
            elif component == 'ak-provider-oauth2-device-code' and self.device_code:
                answer = {'code': self.device_code}
            elif component == 'ak-provider-oauth2-device-code-finish':
                # "You may close this page now": authentik's page shows it and sends nothing back (an answer would
                # fail with a flow error); the device has its token.
                self.device_done = True
                return None
            elif component == 'ak-stage-access-denied':
                raise PersonError('access denied: %s' % challenge.get('error_message', ''))
            elif component == 'ak-stage-flow-error':
                raise PersonError('%s failed: %s' % (slug, challenge.get('error', '')))
            else:
                raise PersonError('a stage this person cannot answer: %s' % component)
            challenge = self.call('POST', executor, dict(answer, component=component))
        raise PersonError('the flow did not end')

    def call(self, method, url, body=None):
        """One executor request; a 302 back to the executor is followed with GET, as the browser does."""
        # The flow interface sends Django's CSRF token once authentik has set its cookie (a logged-in session).
        # Like a browser, it says where the request comes from (Django checks Origin/Referer over HTTPS).
        csrf = self.session.cookies.get('authentik_csrf')
        headers = {}
        if method != 'GET':
            headers = {'Origin': '{0.scheme}://{0.netloc}'.format(urlsplit(self.page)), 'Referer': self.page}
            if csrf:
                headers['X-authentik-CSRF'] = csrf
        response = self.session.request(method, url, json=body, headers=headers, allow_redirects=False, timeout=30)
        while response.is_redirect:
            url = urljoin(url, response.headers['Location'])
            response = self.session.get(url, allow_redirects=False, timeout=30)
        if response.status_code != 200:
            raise PersonError('flow executor answered %d: %s' % (response.status_code, response.text[:200]))
        return response.json()


def page_title(html):
    """The heading of an HTML page (authentik's error pages put the error's title there)."""
    match = re.search(r'<h1[^>]*>\s*(.*?)\s*</h1>', html, re.S) or re.search(r'<title>\s*(.*?)\s*</title>', html, re.S)
    return re.sub(r'\s+', ' ', match.group(1)).strip() if match else html[:200]


def redacted(url):
    """A URL without the values of code and state (they are secrets for a moment)."""
    return re.sub(r'([?&#](?:code|state)=)[^&]*', r'\1<redacted>', url)


DEVICE_PROMPT = re.compile(r'Please visit the following URL in your browser: (\S+)')


def run_with_device_code(command, person, env=None, timeout=900, give_up_after=None):
    """Run kubelogin (or kubectl running it); when it prints the device code link, `person` (None: nobody) opens the
    verification page without the code, as on another machine, and types the code. After `give_up_after` seconds a
    process still waiting is stopped with its children, as a person gives up (authentik answers a code that expired
    only once its worker has cleaned it up, minutes later); its return code is then negative.
    Returns (completed process, the printed link or None, the person's error or None)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                            start_new_session=True)
    seen = {'link': None, 'error': None, 'stderr': [], 'stdout': ''}

    def watch():
        for line in proc.stderr:
            seen['stderr'].append(line)
            match = DEVICE_PROMPT.search(line)
            if match and seen['link'] is None:
                seen['link'] = match.group(1)
                if person is not None:
                    link = urlsplit(match.group(1))
                    try:
                        person.enter_device_code('%s://%s%s' % (link.scheme, link.netloc, link.path), parse_qs(link.query)['code'][0])
                    except PersonError as exc:
                        seen['error'] = str(exc)

    def read_stdout():
        seen['stdout'] = proc.stdout.read()
    readers = [threading.Thread(target=watch), threading.Thread(target=read_stdout)]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=give_up_after or timeout)
    except subprocess.TimeoutExpired:
        if give_up_after is None:
            raise
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:  # it ended just now
            pass
        proc.wait(timeout=60)
    for reader in readers:
        reader.join(timeout=60)
    return subprocess.CompletedProcess(command, proc.returncode, seen['stdout'], ''.join(seen['stderr'])), seen['link'], seen['error']


def main(argv):
    if len(argv) != 1:
        sys.exit('usage: person.py URL (kubelogin --browser-command runs it with the URL to open)')
    with open(os.environ['KUBEAUTH_PERSON'], encoding='utf-8') as handle:
        config = json.load(handle)
    person = Person(config['username'], config['password'], config['ca'])
    error = None
    try:
        person.open(argv[0])
    except (PersonError, requests.RequestException) as exc:
        error = str(exc)
    for step in person.steps:
        sys.stderr.write('person: %s %s%s\n' % (step['what'], redacted(step['url']),
                                                ' -> %s' % step['status'] if step['status'] else ''))
    if config.get('trace'):
        with open(config['trace'], 'w', encoding='utf-8') as handle:
            json.dump({'steps': [dict(step, url=redacted(step['url'])) for step in person.steps], 'error': error}, handle)
    if error:
        sys.stderr.write('person: gave up: %s\n' % error)
        sys.exit(1)
    sys.stderr.write('person: back at kubelogin, logged in as %s\n' % config['username'])


if __name__ == '__main__':
    main(sys.argv[1:])

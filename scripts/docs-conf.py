
# --- appended by scripts/build-docs.sh to the conf.py that antsibull-docs sphinx-init writes ---------------------
# This machine and CI reach no documentation site, so no intersphinx inventory is fetched. The generated plugin
# pages refer to two labels of Ansible's own documentation; they link to their pages there. Every other
# reference that does not resolve stays an error (sphinx-build -W).
intersphinx_mapping = {}
ANSIBLE_DOCS_LABELS = {
    'common_return_values': 'https://docs.ansible.com/ansible/latest/reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'https://docs.ansible.com/ansible/latest/reference_appendices/config.html',
}
# The theme's default top bar links to Ansible's sites; this site is the collection's own.
html_theme_options = dict(globals().get('html_theme_options') or {}, topbar_links={})


def _ansible_docs_label(app, env, node, contnode):
    from docutils import nodes

    url = ANSIBLE_DOCS_LABELS.get(node.get('reftarget')) if node.get('refdomain') == 'std' else None
    if url is None:
        return None
    text = node.astext() or node.get('reftarget')
    return nodes.reference(text, text, refuri=url, internal=False)


def _home_link(app, pagename, templatename, context, doctree):
    # The theme's logo links to a fixed URL ('/'); here it is this site's own start page, wherever it is served.
    context['theme_documentation_home_url'] = context['pathto']('index')


def setup(app):
    app.connect('missing-reference', _ansible_docs_label)
    app.connect('html-page-context', _home_link)

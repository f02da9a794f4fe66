"""Images with no registry: docker-archive tars of one static binary each, imported under kubeadm's names.

The archives are cached beside the binaries (outside the work tree) and imported into each node's containerd.
"""

import hashlib
import io
import json
import os
import tarfile
import tempfile

from kubeauth_node.common import (CACHE_ROOT, CONTAINERD_SOCK, IMAGE_CACHE, KUBEADM_CONFIG, PAUSE_SOURCE, StageError, binary,
                                  run)


def kubeadm_images(target, config=KUBEADM_CONFIG):
    """The exact image names this kubeadm asks for, keyed by component."""
    result = target.run('image-names', [binary('kubeadm'), 'config', 'images', 'list', '--config', config])
    images = {}
    for line in result.stdout.split():
        component = line.rsplit('/', 1)[-1].split(':', 1)[0]
        images[component] = line
    for component in ('kube-apiserver', 'etcd', 'pause'):
        if component not in images:
            raise StageError('image-names', 'kubeadm lists no %s image' % component, None, result.stdout)
    return images


def _add_dirs(archive, paths):
    for path, mode in paths:
        info = tarfile.TarInfo(path)
        info.type = tarfile.DIRTYPE
        info.mode = mode
        archive.addfile(info)


def _add_file(archive, source, arcname):
    info = archive.gettarinfo(source, arcname)
    info.uid = info.gid = 0
    info.uname = info.gname = 'root'
    info.mtime = 0
    info.mode = 0o755
    with open(source, 'rb') as handle:
        archive.addfile(info, handle)


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def build_image_archive(tag, source, target, path):
    """A docker-archive tar at path (manifest.json with RepoTags, config, one layer) holding one static binary."""
    workdir = tempfile.mkdtemp(dir=os.path.dirname(path))
    layer = os.path.join(workdir, 'layer.tar')
    with tarfile.open(layer, 'w', format=tarfile.GNU_FORMAT) as archive:
        _add_dirs(archive, [('etc', 0o755), ('tmp', 0o1777), ('usr', 0o755), ('usr/local', 0o755), ('usr/local/bin', 0o755)])
        _add_file(archive, source, target.lstrip('/'))
    layer_id = _sha256_file(layer)
    config = json.dumps({
        'architecture': 'amd64',
        'os': 'linux',
        'created': '1970-01-01T00:00:00Z',
        'config': {'Entrypoint': [target], 'Env': ['PATH=/usr/local/bin:/usr/bin:/bin'], 'WorkingDir': '/'},
        'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + layer_id]},
        'history': [{'created': '1970-01-01T00:00:00Z', 'created_by': 'kubeauth tests/node/node.py'}],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + '.json'
    manifest = json.dumps([{'Config': config_name, 'RepoTags': [tag], 'Layers': [layer_id + '/layer.tar']}]).encode()
    partial = os.path.join(workdir, 'image.tar')
    with tarfile.open(partial, 'w') as archive:
        for name, data in ((config_name, config), ('manifest.json', manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        archive.add(layer, layer_id + '/layer.tar')
    # Renamed into place whole: another node tool building the same archive at once never sees half of it.
    os.replace(partial, path)
    os.unlink(layer)
    os.rmdir(workdir)
    return path


def cached_archive(tag, source, target):
    """The archive of tag, rebuilt when its binary is newer."""
    os.makedirs(IMAGE_CACHE, exist_ok=True)
    path = os.path.join(IMAGE_CACHE, tag.rsplit('/', 1)[-1].replace(':', '_') + '.tar')
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(source):
        build_image_archive(tag, source, target, path)
    return path


def build_pause():
    out = os.path.join(CACHE_ROOT, 'pause', 'pause')
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(PAUSE_SOURCE):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        run('images', ['gcc', '-static', '-O2', '-s', '-Wall', '-o', out + '.tmp', PAUSE_SOURCE])
        os.replace(out + '.tmp', out)
    return out


def imported_images(target):
    result = target.run('images', ['ctr', '--address', CONTAINERD_SOCK, '-n', 'k8s.io', 'images', 'ls', '-q'])
    return set(result.stdout.split())


def import_images(target, images):
    """Import the pause, etcd and kube-apiserver images under kubeadm's names into the node's containerd."""
    wanted = [
        (images['pause'], build_pause(), '/pause'),
        (images['etcd'], binary('etcd'), '/usr/local/bin/etcd'),
        (images['kube-apiserver'], binary('kube-apiserver'), '/usr/local/bin/kube-apiserver'),
    ]
    present = imported_images(target)
    done = []
    for tag, source, path in wanted:
        if tag in present:
            continue
        archive = cached_archive(tag, source, path)
        target.run('images', ['ctr', '--address', CONTAINERD_SOCK, '-n', 'k8s.io', 'images', 'import', archive], timeout=600)
        done.append(tag)
    missing = [tag for tag, _source, _path in wanted if tag not in imported_images(target)]
    if missing:
        raise StageError('images', 'not visible after import: %s' % ', '.join(missing))
    return ('imported ' + ' '.join(done)) if done else 'present'

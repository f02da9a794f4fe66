// Command kubeadm is the upstream kubeadm of Kubernetes 1.30 (its errors helper lives in app/util there).
package main

import (
	"k8s.io/kubernetes/cmd/kubeadm/app"
	kubeadmutil "k8s.io/kubernetes/cmd/kubeadm/app/util"
)

func main() {
	kubeadmutil.CheckErr(app.Run())
}

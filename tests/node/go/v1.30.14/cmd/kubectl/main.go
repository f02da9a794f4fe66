// Command kubectl is the upstream kubectl of Kubernetes 1.30 (k8s.io/kubectl), as
// k8s.io/kubernetes/cmd/kubectl builds it there.
package main

import (
	_ "k8s.io/client-go/plugin/pkg/client/auth" // exec and other auth plugins
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}

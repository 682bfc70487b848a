package io.atoll.agent.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.vm.DiskResolver;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The network service wraps the storage's disk resolver (taps plugged around the disks): every
 * method of {@link DiskResolver} must be passed on, or the interface's default would silently
 * answer instead of the storage (a disk move refused as "no storage repositories here").
 */
class NetworkResolverDelegationTest {

    @Test
    void theWrapperOverridesEveryMethodOfTheDiskResolver() {
        DiskResolver wrapped = new NetworkService(null).around(DiskResolver.IDENTITY);
        List<String> missing = Arrays.stream(DiskResolver.class.getMethods())
                .filter(m -> !Modifier.isStatic(m.getModifiers()))
                .filter(m -> !declares(wrapped.getClass(), m))
                .map(Method::getName).toList();
        assertThat(missing).as("DiskResolver methods the network wrapper does not pass on").isEmpty();
    }

    private static boolean declares(Class<?> c, Method m) {
        try {
            c.getDeclaredMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
